"""How the registration plugin's events read in the activity feed (answer to ``pc_activity_types``)."""

TYPES = {
    "registration.partner_registered": {"sentence": "{name} registered on Partner Connector.", "icon": "flag"},
    "registration.partner_verified": {"sentence": "{actorName} verified the e-mail address; onboarding started.",
                                      "icon": "mail-check"},
    "registration.partner_activated": {"sentence": "The partner account is active: you can trade on the marketplace.",
                                       "icon": "check-circle"},
    # Suspension and reinstatement reach the partner's owners by e-mail too.
    "registration.partner_suspended": {"sentence": "The platform team suspended the partner account: {reason}",
                                       "icon": "pause-circle", "audience": "owners",
                                       "channels": ["in_app", "email", "webhook"]},
    "registration.partner_reinstated": {"sentence": "The platform team reinstated the partner account.",
                                        "icon": "play-circle", "audience": "owners",
                                        "channels": ["in_app", "email", "webhook"]},
}
