"""The Lambda entry points serverless.yml names (``handlers/<name>.handler``).

Each module is a few lines: take the process's composition root (:mod:`votes.bootstrap`),
delegate to the component, answer. The components live in :mod:`votes`.
"""
