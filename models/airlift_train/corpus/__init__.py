"""The music the models learn from and how it is degraded: the recorded-music corpus built
from Debian packages (`build`), the band limits and codec chains of music as it reaches users
(`degrade`), the degraded stretches and U-Net examples cut from the corpus (`music`), and
generated General MIDI pieces rendered by fluidsynth (`synthesized`, `midi`)."""
