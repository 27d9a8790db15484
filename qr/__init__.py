"""One code per device (一码通): codes, QR labels and sheets, scan resolution."""
