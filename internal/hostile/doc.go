// Package hostile is capstan's suite of hostile repositories and tenants: a
// test-only package that runs the real capstan binary, as a child process,
// against a real local control plane and real Git servers, and feeds it
// repositories written to escape their AppProject, read the host's files,
// reach the network, exhaust time, memory or disk, or crash the controller.
//
// Each case asserts what a user and an operator rely on: the controller
// process stays up and never panics, another team's Application keeps
// syncing, nothing outside the hostile Application's project is applied,
// and the Application's conditions or operation state name the cause.
//
// The package holds no product code; docs/security.md cites its tests.
package hostile
