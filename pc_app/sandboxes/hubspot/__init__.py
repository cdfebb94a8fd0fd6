"""A HubSpot sandbox: a real HTTP server answering HubSpot's OAuth and CRM paths, for dev and tests.

Run it with ``python -m pc_app.sandboxes hubspot --port N``; point ``hubspot-api-client`` at it
with ``HubSpot(access_token=..., host="http://127.0.0.1:N")``; steer it through ``/_sandbox``.
"""
