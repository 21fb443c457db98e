//go:build !unix

package repofs

const nonBlock = 0
