"""The run-folder layer: read a run's config, checkpoints and weights; pick device and precision.

Everything that opens a run folder (training's resume, ``generate``, ``evaluate``, ``serve``, ``export``,
``classify``) goes through here, so ``training/`` is imported by nobody but the train command.
"""
