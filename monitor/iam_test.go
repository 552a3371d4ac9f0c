package monitor

import (
	"reflect"
	"slices"
	"testing"
)

// TestIAMActionsMatchInterfaces keeps IAMActions honest: every method of
// the AWS interfaces the monitor consumes is an action in the list, and
// the list holds nothing else but sts:AssumeRole (called by the SDK's
// credential provider for clusters with role_arn).
func TestIAMActionsMatchInterfaces(t *testing.T) {
	interfaces := []struct {
		service string
		typ     reflect.Type
	}{
		{"ecs", reflect.TypeFor[ECSAPI]()},
		{"ecs", reflect.TypeFor[TaskDefinitionAPI]()},
		{"ecs", reflect.TypeFor[ClusterAPI]()},
		{"sqs", reflect.TypeFor[SQSAPI]()},
		{"sqs", reflect.TypeFor[QueueAttributesAPI]()},
		{"events", reflect.TypeFor[EventBridgeAPI]()},
		{"scheduler", reflect.TypeFor[SchedulerAPI]()},
		{"cloudwatch", reflect.TypeFor[CloudWatchAPI]()},
		{"servicequotas", reflect.TypeFor[ServiceQuotasAPI]()},
		{"dynamodb", reflect.TypeFor[DynamoDBAPI]()},
	}
	// Beyond the interfaces: the SDK's credential provider (sts) and the
	// configuration source (internal/configsrc, outside monitor).
	want := []string{"sts:AssumeRole", "ssm:GetParameter", "kms:Decrypt", "s3:GetObject"}
	for _, in := range interfaces {
		for i := 0; i < in.typ.NumMethod(); i++ {
			want = append(want, in.service+":"+in.typ.Method(i).Name)
		}
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(IAMActions()))
	if !slices.Equal(got, slices.Compact(want)) {
		t.Errorf("IAMActions() = %v\nthe interfaces call   %v", got, want)
	}
	if len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("IAMActions() has duplicates: %v", got)
	}
}
