// Package extension is the az "extension" command group. privlink has the
// commands of the extensions the seeds use (aks-preview, connectedk8s, ...)
// built in, so nothing is ever installed: add/update/remove only record the
// name in cli.json (key "extensions") so that list/show behave like az.
package extension
