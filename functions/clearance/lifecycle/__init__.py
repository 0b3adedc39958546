"""An article's life: its state, the one transition every event goes through (a plain function
per kind of event), the write plan it returns and the audit record it ends with.

Pure: a plan is data, carried out by `services`. May import `decide` and below.
"""
