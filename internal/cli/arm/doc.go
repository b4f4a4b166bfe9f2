// Package arm is the CLI's typed client for the Azure Resource Manager REST
// API that the privlink daemon serves. It knows nothing about commands or
// flags: it sends requests (with api-version and a bearer token), follows
// nextLink paging, drives long-running operations the way the Azure SDK
// poller does (Azure-AsyncOperation, Operation-Location, Location, then the
// resource body's provisioningState; Retry-After / Retry-After-Ms), and turns
// ARM error envelopes into *Error values whose Error() text is exactly what
// azure-cli prints ("(Code) Message\nCode: ...\nMessage: ...").
//
// It also holds the small pieces every command group needs around ARM
// payloads: resource ID parsing (ParseResourceID) and Shape, which renders a
// raw ARM body the way the Python SDK models render it in azure-cli output
// (flattened "properties", null for absent model fields).
package arm
