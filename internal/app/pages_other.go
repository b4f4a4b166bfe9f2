//go:build !linux

package app

// releaseExecutablePages is a Linux optimisation (see pages_linux.go).
func releaseExecutablePages() {}
