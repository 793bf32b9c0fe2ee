package sim

import (
	_ "embed"
	"fmt"
)

//go:embed demo.yaml
var demoYAML []byte

// DemoYAML returns the built-in demo tenant's scenario file.
func DemoYAML() []byte { return append([]byte(nil), demoYAML...) }

// Demo returns the built-in demo tenant (DESIGN §4): two subscriptions, three
// regions and about a dozen VMs, each showing one real-world problem.
func Demo() *Scenario {
	sc, err := LoadScenario(demoYAML, "demo.yaml")
	if err != nil {
		panic(fmt.Sprintf("sim: the embedded demo scenario is broken: %v", err))
	}
	return sc
}
