//go:build !windows

package main

// sectionLeftovers is for Windows only: elsewhere leftovers finds POSIX
// objects in /dev/shm.
func sectionLeftovers() []string { return nil }
