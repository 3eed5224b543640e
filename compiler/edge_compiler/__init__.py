"""From weights to a versioned artifact: export, parity, compatibility check, DFC compile."""
