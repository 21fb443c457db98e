package store

import "testing"

func TestDatabaseSchemaIsValid(t *testing.T) {
	s := dbSchema()
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{TableEnvironments, TableRoutes, TableAPIs, TablePublishers, TableConsumers, TableApps, TableCredentials, TableGrants} {
		if _, ok := s.Tables[name]; !ok {
			t.Errorf("table %q is missing", name)
		}
	}
}
