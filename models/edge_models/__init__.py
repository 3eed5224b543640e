"""The TCN-VAE encoder, written so its accelerated part uses only Hailo-parser-friendly ops."""
