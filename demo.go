package main

import (
	"github.com/spf13/cobra"

	"github.com/backupready/backupready/azure/sim"
	"github.com/backupready/backupready/steps"
)

func newDemoCmd(d *deps) *cobra.Command {
	demo := &cobra.Command{Use: "demo", Short: d.tr.T("cli.demo.short"), Args: cobra.NoArgs}
	var vms, subs int
	var seed int64
	fleet := &cobra.Command{
		Use:     "fleet",
		Short:   d.tr.T("cli.fleet.short"),
		Long:    d.tr.T("cli.fleet.long"),
		Example: "  backupready demo fleet --vms 1000 --seed 7 > fleet.json\n  backupready demo fleet --vms 5000 --subscriptions 20 > big.json\n  backupready check --scenario fleet.json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if vms < 1 || vms > 100000 {
				return &steps.Problem{What: "cli.fleet.bad", Why: "cli.fleet.bad.why", Next: "cli.fleet.bad.next", Args: []any{"Value", vms}, Exit: steps.ExitUsage}
			}
			if subs < 1 || subs > 1000 {
				return &steps.Problem{What: "cli.fleet.subs.bad", Why: "cli.fleet.subs.bad.why", Next: "cli.fleet.subs.bad.next", Args: []any{"Value", subs}, Exit: steps.ExitUsage}
			}
			data, err := sim.GenerateFleetIn(vms, subs, seed)
			if err != nil {
				return err
			}
			_, err = d.io.out.Write(data)
			return err
		},
	}
	fleet.Flags().IntVar(&vms, "vms", 0, d.tr.T("cli.flag.vms"))
	fleet.Flags().Int64Var(&seed, "seed", 1, d.tr.T("cli.flag.seed"))
	fleet.Flags().IntVar(&subs, "subscriptions", 2, d.tr.T("cli.flag.fleet-subscriptions"))
	demo.AddCommand(fleet)
	return demo
}

func newVersionCmd(d *deps) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: d.tr.T("cli.version.short"),
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write([]byte("backupready " + buildVersion() + "\n"))
			return err
		},
	}
}
