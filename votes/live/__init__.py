"""Live results: every poll's tally pushed to the browsers following it.

On AWS the projector's ``TallyUpdated`` messages (SNS) reach an AWS AppSync Events API through
the push Lambda (:mod:`votes.live.push`: coalesced per poll, :mod:`votes.live.coalesce`, and
published over AppSync's signed HTTP endpoint, :mod:`votes.live.appsync`); browsers subscribe
to one channel per poll (:mod:`votes.live.channels`), and AppSync asks the subscribe Lambda
whether the caller may (:mod:`votes.live.subscribe`: the API's results-visibility rule).
Locally, ``votes serve`` speaks the same WebSocket protocol (:mod:`votes.local.realtime`) and
applies the same subscribe rule. Importing this package imports nothing else (cold start).
"""
