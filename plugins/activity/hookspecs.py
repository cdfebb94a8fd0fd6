"""The hook the activity plugin owns (added through ``pc_add_hookspecs``): how events read as activities."""
import pluggy

hookspec = pluggy.HookspecMarker("pc_app")


@hookspec
def pc_activity_types():
    """Describe how some event types read as activities, mails and webhooks.

    Plugins that do not require the activity plugin implement it with
    ``@hookimpl(optionalhook=True)``; the answer is plain data, so they import nothing from it.

    :return: a dict ``{event name: description}``; each description may hold ``sentence``
        (a ``str.format`` template over the payload, ``actorName`` and ``leadName``; ``{price:money}``
        formats cents), ``sentences`` (``{payload field naming a partner: template}`` for that
        partner's point of view), ``icon``, ``channels`` (the channels on by default: ``in_app``,
        ``email``, ``webhook``), ``audience`` (``members`` or ``owners``), ``subjects``
        (``{subject type: payload field}``), ``alsoNotify`` (a payload field listing more partner
        ids to tell) and ``private`` (payload fields never shown). Absent keys keep the defaults.
    """
