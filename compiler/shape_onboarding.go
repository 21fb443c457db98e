package compiler

// Shapes of the digital-onboarding fields (schema: #PolicyEntry,
// #Requirements), kept apart from newShapes so that the onboarding fields
// stay in one place.

// policyEntryShape mirrors #PolicyEntry: a recipient category or a purpose.
func policyEntryShape(nonEmpty, handle, date *shape) *shape {
	return &shape{kind: sStruct, fields: []shapeField{
		{name: "description", shape: nonEmpty},
		{name: "approvedBy", shape: &shape{kind: sStruct, fields: []shapeField{
			{name: "operator", shape: handle},
			{name: "department", shape: handle},
			{name: "date", shape: date},
		}}},
	}}
}

// requirementsShape mirrors #Requirements.
func requirementsShape(id, nonEmpty *shape, enum func(...string) *shape, boolean func() *shape) *shape {
	set := func() []shapeField {
		return []shapeField{
			{name: "dspt", optional: true, shape: enum("none", "standards-met", "standards-exceeded")},
			{name: "agreements", optional: true, shape: &shape{kind: sList, elem: nonEmpty}},
			{name: "clinicalSafetyCase", optional: true, shape: boolean()},
			{name: "recipientCategories", optional: true, shape: &shape{kind: sList, elem: id}},
			{name: "purposes", optional: true, shape: &shape{kind: sList, elem: id}},
		}
	}
	fields := append(set(), shapeField{name: "environments", optional: true,
		shape: &shape{kind: sStruct, patternKey: id, pattern: &shape{kind: sStruct, fields: set()}}})
	return &shape{kind: sStruct, fields: fields}
}
