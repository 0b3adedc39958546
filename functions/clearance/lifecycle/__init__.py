"""What a decision does to stored objects: the write plan and the audit record it ends with.

Pure: a plan is data, carried out by `services`. May import `decide` and below.
"""
