package main

import (
	"fmt"
	"slices"
	"strings"
)

// allPhases are the phases in the order they run. The crd phase, which
// runs its own ConfigMaps next to its custom resources, comes before the
// update phase adds -updates revisions to etcd.
var allPhases = []string{"create", "get", "crd", "update", "list", "watch"}

// phaseNeeds lists, for each phase, the phases it cannot run without: the
// get, update and list phases work on the objects of the create phase.
var phaseNeeds = map[string][]string{
	"get":    {"create"},
	"update": {"create"},
	"list":   {"create"},
}

// phaseSet is the -phases flag: the phases to run.
type phaseSet map[string]bool

func newPhaseSet(names ...string) phaseSet {
	s := phaseSet{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

// String lists the phases in the order they run.
func (s phaseSet) String() string {
	var names []string
	for _, n := range allPhases {
		if s[n] {
			names = append(names, n)
		}
	}
	return strings.Join(names, ",")
}

// Set replaces the set with a comma-separated list; validate checks it.
func (s *phaseSet) Set(v string) error {
	*s = phaseSet{}
	for n := range strings.SplitSeq(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			(*s)[n] = true
		}
	}
	return nil
}

func (s phaseSet) validate() []error {
	var errs []error
	var unknown []string
	for n := range s {
		if !slices.Contains(allPhases, n) {
			unknown = append(unknown, n)
		}
	}
	slices.Sort(unknown)
	for _, n := range unknown {
		errs = append(errs, fmt.Errorf("-phases: unknown phase %q; the phases are %s", n, strings.Join(allPhases, ",")))
	}
	if len(s) == 0 {
		errs = append(errs, fmt.Errorf("-phases must name at least one of %s", strings.Join(allPhases, ",")))
	}
	for _, n := range allPhases {
		for _, need := range phaseNeeds[n] {
			if s[n] && !s[need] {
				errs = append(errs, fmt.Errorf("-phases: %s needs %s", n, need))
			}
		}
	}
	return errs
}
