package sim

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

func TestTmpHang(t *testing.T) {
	small, _ := GenerateFleet(3, 1)
	seeds := [][]byte{DemoYAML(), small, []byte(dangling), []byte("subscriptions: [\n"), []byte("resources: [{id: 1, type: 2}]")}
	rng := rand.New(rand.NewPCG(1, 2))
	var cur atomic.Pointer[[]byte]
	var n atomic.Int64
	go func() {
		last := int64(-1)
		for {
			time.Sleep(3 * time.Second)
			if n.Load() == last {
				b := *cur.Load()
				os.WriteFile("/tmp/simgen/hang.bin", b, 0o644)
				fmt.Println("HANG", len(b))
				os.Exit(3)
			}
			last = n.Load()
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		s := append([]byte(nil), seeds[rng.IntN(len(seeds))]...)
		for k := rng.IntN(8) + 1; k > 0; k-- {
			if len(s) == 0 {
				break
			}
			i := rng.IntN(len(s))
			switch rng.IntN(4) {
			case 0:
				s[i] = byte(rng.IntN(256))
			case 1:
				s = append(s[:i], s[min(len(s), i+rng.IntN(20)):]...)
			case 2:
				j := rng.IntN(len(s))
				s = append(s[:i], append(append([]byte(nil), s[j:min(len(s), j+rng.IntN(30))]...), s[i:]...)...)
			case 3:
				s[i] = "{}[]:,-&*!|>'\"#\n "[rng.IntN(17)]
			}
		}
		cur.Store(&s)
		for _, name := range []string{"f.yaml", "f.json"} {
			sc, err := LoadScenario(s, name)
			if err == nil {
				sc.Latency, sc.Faults = 0, nil
				if c, err := New(sc, Options{}); err == nil {
					c.mu.RLock()
					c.graphTable(graphVMs)
					c.graphTable(graphNetwork)
					c.graphTable(graphVaults)
					c.mu.RUnlock()
				}
			}
		}
		n.Add(1)
	}
	fmt.Println("iterations", n.Load())
}
