package crd

import "k8s.io/apimachinery/pkg/api/equality"

func apiequalitySemanticDeepEqual(a, b any) bool { return equality.Semantic.DeepEqual(a, b) }
