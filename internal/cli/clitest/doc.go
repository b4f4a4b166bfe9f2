// Package clitest runs CLI commands in-process against a fake ARM endpoint:
// an httptest TLS server on loopback that serves the token endpoint and
// GET /subscriptions, records every request, and answers the routes a test
// registers. Command-group tests use it like this:
//
//	f := clitest.New(t)
//	f.JSON("PUT", "/subscriptions/{sub}/resourcegroups/rg1", 201, body)
//	res := f.Run(resource.Groups(), "group", "create", "-n", "rg1", "-l", "westus")
//	res.Expect(t, 0)
//	req := f.Last("PUT") // method, path, api-version, body ...
//
// New sets PRIVLINK_ENDPOINT, PRIVLINK_CA_FILE and PRIVLINK_DATA_DIR (a temp
// dir) with t.Setenv, so tests using it cannot run in parallel.
package clitest
