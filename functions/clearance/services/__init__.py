"""Each function's collaborators wired together: read what a step needs, call the core, act.

Handlers wrap these in a few lines; tests build them with fakes or moto-backed clients.
Configuration is read here, at the edge, and checked once at cold start.
"""
