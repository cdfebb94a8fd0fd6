"""A throwaway plugin that cooperates with the activity plugin without requiring it (``optionalhook``)."""
from pc_app import hookimpl

NAME = "describing_probe"
__version__ = "1.0.0"
REQUIRES = {"pc_app": ">=1,<2"}


@hookimpl
def pc_register_events():
    """Declare one event with a price and a lead."""
    from pc_app.toolkit import EventType

    return [EventType("probe.deal_closed", "A probe deal closed.",
                      {"dealId": "the deal", "leadId": "the lead", "amount": "cents", "currency": "ISO",
                       "buyerPartnerId": "buyer", "secretNote": "never shown"})]


@hookimpl(optionalhook=True)
def pc_activity_types():
    """Describe the probe's event: its sentences, icon, channels, audience, subjects and a private field."""
    return {"probe.deal_closed": {
        "sentence": "{actorName} closed a deal worth {amount:money}.",
        "sentences": {"buyerPartnerId": "You bought a deal worth {amount:money}."},
        "icon": "handshake", "channels": ["in_app", "email"], "audience": "owners",
        "subjects": {"deal": "dealId"}, "private": ["secretNote"]}}
