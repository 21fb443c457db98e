// Package schema embeds the contracts of the pipeline: the CUE definitions
// every configuration file is checked against, and the JSON Schemas of the
// compiled snapshot and of the catalogue's catalogue.json.
//
// It only embeds files; it does not import CUE, so gateways can use the
// snapshot's JSON Schema without linking the CUE evaluator.
package schema

import "embed"

// CUE holds the CUE definitions (*.cue, package frontdoor).
//
//go:embed *.cue
var CUE embed.FS

// Definitions by kind of configuration file.
const (
	DefPlatform   = "#Platform"
	DefOnboarding = "#Onboarding"
	DefLaunch     = "#Launch"
	DefDiagnosis  = "#Diagnosis"
	DefPublisher  = "#Publisher"
	DefAPI        = "#API"
	DefGrants     = "#Grants"
	DefConsumer   = "#Consumer"
)
