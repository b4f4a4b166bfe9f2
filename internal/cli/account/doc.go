// Package account is the az "account" command group (subscriptions,
// the current subscription kept in cli.json, access tokens) plus the
// top-level "login" and "logout" commands.
package account
