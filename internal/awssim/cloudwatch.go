package awssim

import (
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// CloudWatch speaks Smithy RPCv2 CBOR to aws-sdk-go-v2 (service/cloudwatch
// api_client.go: rpcv2.NewCBOR): POST /service/<service>/operation/<op>,
// header Smithy-Protocol: rpc-v2-cbor, CBOR bodies both ways. Bodies are
// read and written with smithy-go's own CBOR package.

const (
	cloudWatchPathPrefix = "/service/GraniteServiceVersion20100801/operation/"
	// getMetricDataMax is the number of queries one GetMetricData call may
	// carry (docs/AWS-NOTES.md §7).
	getMetricDataMax = 500
)

// isCBORRequest says whether r is an RPCv2 CBOR call.
func isCBORRequest(r *http.Request) bool {
	return r.Header.Get("Smithy-Protocol") == "rpc-v2-cbor"
}

// serveCBOR serves CloudWatch operations.
func (s *Server) serveCBOR(w http.ResponseWriter, r *http.Request, body []byte) {
	op, ok := strings.CutPrefix(r.URL.Path, cloudWatchPathPrefix)
	if !ok || op != "GetMetricData" {
		writeCBORError(w, &apiError{Status: 400, Code: "UnknownOperationException", Message: "unknown operation " + r.URL.Path})
		return
	}
	name := "cloudwatch:" + op
	s.mu.Lock()
	s.calls[name]++
	fault := s.matchFaultLocked(name, nil)
	s.mu.Unlock()
	if fault != nil {
		writeCBORError(w, fault)
		return
	}
	out, aerr := s.cwGetMetricData(body)
	if aerr != nil {
		writeCBORError(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Requestid", requestID())
	_, _ = w.Write(cbor.Encode(out))
}

func writeCBORError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("X-Amzn-Requestid", requestID())
	status := e.Status
	if status == 0 {
		status = 400
	}
	w.WriteHeader(status)
	_, _ = w.Write(cbor.Encode(cbor.Map{"__type": cbor.String(e.Code), "message": cbor.String(e.Message)}))
}

// metricQuery is one MetricDataQuery as the simulator reads it.
type metricQuery struct {
	id, namespace, metric, stat string
	dims                        map[string]string
	period                      time.Duration
}

func (s *Server) cwGetMetricData(body []byte) (cbor.Value, *apiError) {
	v, err := cbor.Decode(body)
	if err != nil {
		return nil, &apiError{Status: 400, Code: "SerializationException", Message: "decode CBOR body: " + err.Error()}
	}
	in, ok := v.(cbor.Map)
	if !ok {
		return nil, errBadRequest("SerializationException", "request body is not a CBOR map")
	}
	start, err1 := cbor.AsTime(in["StartTime"])
	end, err2 := cbor.AsTime(in["EndTime"])
	if err1 != nil || err2 != nil || !start.Before(end) {
		return nil, errBadRequest("InvalidParameterValue", "StartTime and EndTime are required and StartTime must be before EndTime")
	}
	list, _ := in["MetricDataQueries"].(cbor.List)
	if len(list) == 0 || len(list) > getMetricDataMax {
		return nil, errBadRequest("InvalidParameterValue", "The collection MetricDataQueries must not be empty and must not have more than %d elements", getMetricDataMax)
	}
	var queries []metricQuery
	for _, item := range list {
		q, aerr := parseMetricQuery(item)
		if aerr != nil {
			return nil, aerr
		}
		queries = append(queries, q)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	results := cbor.List{}
	for _, q := range queries {
		ts, vs := s.metricValuesLocked(q, start, end)
		tl, vl := cbor.List{}, cbor.List{}
		for i := range ts {
			tl = append(tl, cbor.Tag{ID: 1, Value: cbor.Float64(float64(ts[i].UnixMilli()) / 1e3)})
			vl = append(vl, cbor.Float64(vs[i]))
		}
		results = append(results, cbor.Map{
			"Id": cbor.String(q.id), "Label": cbor.String(q.metric), "StatusCode": cbor.String("Complete"),
			"Timestamps": tl, "Values": vl,
		})
	}
	return cbor.Map{"MetricDataResults": results, "Messages": cbor.List{}}, nil
}

func parseMetricQuery(item cbor.Value) (metricQuery, *apiError) {
	m, _ := item.(cbor.Map)
	str := func(mm cbor.Map, k string) string {
		s, _ := mm[k].(cbor.String)
		return string(s)
	}
	q := metricQuery{id: str(m, "Id"), dims: map[string]string{}}
	stat, _ := m["MetricStat"].(cbor.Map)
	if q.id == "" || stat == nil {
		return q, errBadRequest("InvalidParameterValue", "every MetricDataQuery needs an Id and a MetricStat (the simulator reads no expressions)")
	}
	metric, _ := stat["Metric"].(cbor.Map)
	q.namespace, q.metric, q.stat = str(metric, "Namespace"), str(metric, "MetricName"), str(stat, "Stat")
	period, err := cbor.AsInt32(stat["Period"])
	if err != nil || period <= 0 || period%60 != 0 {
		return q, errBadRequest("InvalidParameterValue", "Period must be a positive multiple of 60")
	}
	q.period = time.Duration(period) * time.Second
	dims, _ := metric["Dimensions"].(cbor.List)
	for _, d := range dims {
		dm, _ := d.(cbor.Map)
		q.dims[str(dm, "Name")] = str(dm, "Value")
	}
	return q, nil
}

// metricValuesLocked answers the metrics the daemon reads: AWS/Usage
// ResourceCount of Fargate vCPU (the current usage, one datapoint at the
// last whole minute) and AWS/Events FailedInvocations per rule.
func (s *Server) metricValuesLocked(q metricQuery, start, end time.Time) ([]time.Time, []float64) {
	switch {
	case q.namespace == "AWS/Usage" && q.metric == "ResourceCount" && q.dims["Service"] == "Fargate" && q.dims["Resource"] == "vCPU":
		class := strings.TrimPrefix(q.dims["Class"], "Standard/")
		at := s.now().Truncate(time.Minute)
		if at.Before(start) || !at.Before(end) {
			at = end.Add(-time.Minute).Truncate(time.Minute)
		}
		return []time.Time{at.UTC()}, []float64{s.fargateUsageLocked(class)}
	case q.namespace == "AWS/Events" && q.metric == "FailedInvocations" && q.dims["RuleName"] != "":
		return s.failedInvocationsLocked(q.dims["RuleName"], start, end, q.period)
	}
	return nil, nil
}
