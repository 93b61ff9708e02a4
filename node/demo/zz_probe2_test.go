package demo

import (
	"context"
	
	"log/slog"
	"os"
	"testing"
)

func TestZZProbeDemoLog(t *testing.T) {
	lg := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	sum, err := Run(context.Background(), Config{Out: os.Stdout, Logger: lg})
	t.Logf("%+v %v", sum.OfflineCatchUp, err)
}
