package e2e

import "testing"

func TestNormalize(t *testing.T) {
	vars := map[string]string{
		"PRIVLINK_ENDPOINT":     "https://127.0.0.1:40123",
		"PRIVLINK_DATA_DIR":     "/tmp/privlink-e2e-1/data",
		"AZURE_SUBSCRIPTION_ID": "606e0fc6-3c4d-4dac-a585-888462f102a2",
		"AZURE_TENANT_ID":       "c00fbcc5-3eeb-4876-a480-297686f86765",
	}
	in := `"id": "/subscriptions/606E0FC6-3c4d-4dac-a585-888462f102a2/x/0e4f4546-5fdd-4e99-8020-d6265408159e",
"principalId": "ce357b57-dd1c-49c3-8248-59b9359c17bc", "clientId": "0e4f4546-5fdd-4e99-8020-d6265408159e",
"tenantId": "c00fbcc5-3eeb-4876-a480-297686f86765", "etag": "W/\"9f940dcb-6449-432c-8e17-8265978d6cff\"",
"roleDefinitionId": "/subscriptions/606e0fc6-3c4d-4dac-a585-888462f102a2/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
"internalId": "SW1tdXRhYmxlWm9uZTE7NDUwN2I2MmYtMzMxNC00ODUyLWIzNmMtOGUzZjdlN2NmNzEw", "createdOn": "2026-11-22T09:02:56.233075395Z", "updatedOn": "2023-02-06T08:21:09.402851+00:00", "day": "2023-02-06",
cannot connect to https://127.0.0.1:40123/token; CA /tmp/privlink-e2e-1/data/ca.crt; not a guid: 0e4f4546-5fdd-4e99-8020-d6265408159e0`
	want := `"id": "/subscriptions/<subscription-id>/x/<guid-1>",
"principalId": "<guid-2>", "clientId": "<guid-1>",
"tenantId": "<tenant-id>", "etag": "W/\"<guid-3>\"",
"roleDefinitionId": "/subscriptions/<subscription-id>/providers/Microsoft.Authorization/roleDefinitions/4d97b98b-1d4f-4787-a291-c67834d212e7",
"internalId": "<internal-id>", "createdOn": "<timestamp>", "updatedOn": "<timestamp>", "day": "2023-02-06",
cannot connect to <endpoint>/token; CA <data-dir>/ca.crt; not a guid: 0e4f4546-5fdd-4e99-8020-d6265408159e0`
	if got := normalize(in, vars); got != want {
		t.Errorf("normalize:\n%s\nwant:\n%s", got, want)
	}
}
