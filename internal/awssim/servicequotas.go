package awssim

// Service Quotas speaks JSON 1.1 (X-Amz-Target ServiceQuotasV20190624.*).
// Only GetServiceQuota of the two Fargate vCPU quotas is served.

func (s *Server) serviceQuotasHandler(op string) handler {
	if op != "GetServiceQuota" {
		return nil
	}
	return func(body []byte) (any, *apiError) {
		var in struct {
			ServiceCode string `json:"ServiceCode"`
			QuotaCode   string `json:"QuotaCode"`
		}
		if aerr := decode(body, &in); aerr != nil {
			return nil, aerr
		}
		names := map[string]struct{ class, name string }{
			"L-3032A538": {FargateOnDemand, "Fargate On-Demand vCPU resource count"},
			"L-36FBB829": {FargateSpot, "Fargate Spot vCPU resource count"},
		}
		q, ok := names[in.QuotaCode]
		if in.ServiceCode != "fargate" || !ok {
			return nil, &apiError{Status: 400, Code: "NoSuchResourceException", Message: "The request failed because the specified service or quota does not exist."}
		}
		s.mu.Lock()
		value := s.launch.quotas[q.class]
		s.mu.Unlock()
		return map[string]any{"Quota": map[string]any{
			"ServiceCode": "fargate", "ServiceName": "AWS Fargate", "QuotaCode": in.QuotaCode, "QuotaName": q.name,
			"QuotaArn": "arn:aws:servicequotas:" + s.region + ":" + s.account + ":fargate/" + in.QuotaCode,
			"Value":    value, "Unit": "None", "Adjustable": true, "GlobalQuota": false,
		}}, nil
	}
}
