package store

// WholeLoadsOnly makes v load every candidate whole, as a verifier without
// section comparison would: the reference the section-wise loads are
// checked against.
func WholeLoadsOnly(v *Verifier) { v.props = nil }
