"""Build-machine tooling for Matryoshka: launching emulators, judging kernel runs."""
