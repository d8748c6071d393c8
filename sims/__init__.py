"""The simulated world: scenarios, flights and sensors that feed the tracker.

``sims`` may import ``tracker`` (frames, records, errors); ``tracker`` never
imports ``sims`` except in its composition root, ``tracker/cli.py``
(DESIGN.md, rule 1). A scenario is a data file (docs/scenario.md):
:func:`sims.scenario.load_scenario` reads and checks it, and
:func:`sims.flights.simulate_flights` flies every flight in it.
"""
