"""The leads desk in the Wagtail admin, where claims staff work and export leads.

- `permissions`: who may see, work, export and erase leads;
- `filters`: the list's filters;
- `views`: the list with its exports, a lead's page, erasure and subject access;
- `desk`: the ModelAdmin tying them together, and the call-back form snippets' viewset;
- `panels`: the dashboard's summary of recent leads, the overdue count and response times;
- `queue`: the call queue, where calls are recorded;
- `endpoints`: the further systems hand-offs go to (superusers only);
- `review`: the leads held for review, cleared in bulk.

leads/wagtail_hooks.py registers them with Wagtail.
"""

# Nothing outside the leads app uses the desk's screens: wagtail_hooks.py registers them.
__all__: list[str] = []
