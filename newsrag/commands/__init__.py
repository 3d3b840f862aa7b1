"""The command line's commands beyond the store's own (ingest, search, stats ...): ask, chat and
timeline (`answer`), serve (`serve`), eval (`evaluate`); what they share is in `common`."""
