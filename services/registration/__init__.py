"""Registration: seats per category, waitlist, cancellation; personal data kept erasable."""
