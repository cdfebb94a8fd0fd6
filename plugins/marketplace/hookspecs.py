"""Hooks the marketplace offers to the plugins that require it (added through ``pc_add_hookspecs``)."""
import pluggy

hookspec = pluggy.HookspecMarker("pc_app")


@hookspec
def pc_listing_vetoes(partner, lead):
    """Say why a partner may not list a lead on the marketplace.

    :param partner: the seller's ``Partner`` document.
    :param lead: the ``Lead`` document about to be listed.
    :return: a list of ``(check, sentence)`` pairs; an empty list or None allows listing.
    """


@hookspec
def pc_buyer_relationship(listing, partner):
    """Tell how a partner stands towards a marketplace listing (decides when contact data unmasks).

    :param listing: the marketplace listing document.
    :param partner: the viewing partner's ``Partner`` document.
    :return: ``"purchased"``, ``"reserved"`` or None when this plugin knows of no relationship.
    """
