"""The demo operation: eastern Chad recovery, on the real Chad COD admin areas."""
