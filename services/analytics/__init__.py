"""The `analytics` domain: figures read across the other domains (the last in the domain
order, so it may read every one of them).

`digest`: today's figures for the ops team and the ops group's daily digest.
"""
