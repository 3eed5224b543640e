# Telemetry: alert rules and the Grafana dashboard (docs/telemetry.md).
.PHONY: telemetry-check telemetry-dashboard
telemetry-check: setup ## alert rules (promtool check + unit tests), dashboard (Grafana schema, PromQL, metric names)
	PROMTOOL=$$(bash telemetry/tools/promtool.sh)
	$$PROMTOOL check rules telemetry/prometheus/hailo-inference-rules.yml
	(cd telemetry/prometheus && $$PROMTOOL test rules hailo-inference-rules.test.yml)
	$(PY) telemetry/grafana/build_dashboard.py --check
	$(PY) telemetry/grafana/check_dashboard.py telemetry/grafana/hailo-inference.json
	PROMTOOL=$$PROMTOOL $(PY) -m pytest -q -p no:cacheprovider tests/telemetry/test_dashboard_rules.py

telemetry-dashboard: setup ## regenerate telemetry/grafana/hailo-inference.json from build_dashboard.py
	$(PY) telemetry/grafana/build_dashboard.py
