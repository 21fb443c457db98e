// Package scaffold writes new configuration repositories and new files in
// their place in one (frontdoor init, new, grant, codeowners), then checks
// that the result compiles.
//
// Every operation is all or nothing: when it fails, or what it wrote does
// not validate, every file and directory it created is removed and every
// file it changed is restored, so the repository is left as it was.
package scaffold
