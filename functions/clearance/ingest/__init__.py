"""Untrusted bytes in, a normalised Article out: strict JSON, ninjs, provider plain text.

Also the webhook's door: Standard Webhooks signatures and what a delivery is answered.
One parse (`parse.read_delivery`) serves the webhook and the processor alike.
May import `contracts` only.
"""
