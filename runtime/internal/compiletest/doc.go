// Package compiletest holds the runtime tests that need the real compiler.
// Only its tests import the compiler (and so CUE): the runtime packages
// themselves never link it.
package compiletest
