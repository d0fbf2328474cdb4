"""Plans: the model, durations, loading with located errors, and the strategy advisor."""
