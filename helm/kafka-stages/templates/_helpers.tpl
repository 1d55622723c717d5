{{/*
Names. Every helper is prefixed with the chart name so that it cannot collide with a
parent chart's helpers when this chart is used as a dependency.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "kafka-stages.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
The prefix of every resource name: fullnameOverride, else the release name when it
already contains the chart name, else release-chart. Kubernetes names stop at 63 chars.
*/}}
{{- define "kafka-stages.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kafka-stages.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select the pods: never change them after the first install. */}}
{{- define "kafka-stages.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kafka-stages.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kafka-stages.labels" -}}
helm.sh/chart: {{ include "kafka-stages.chart" . }}
{{ include "kafka-stages.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: {{ .Values.app.job }}
app.kubernetes.io/part-of: kafka-stages
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "kafka-stages.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kafka-stages.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The group KEDA reads the lag of: set explicitly, else the job config's input.group_id. */}}
{{- define "kafka-stages.kedaConsumerGroup" -}}
{{- $input := (.Values.config | default (dict)).input | default (dict) -}}
{{- .Values.autoscaling.keda.consumerGroup | default $input.group_id | default "" -}}
{{- end -}}

{{- define "kafka-stages.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Where the pipeline config and the TLS material are mounted in the container. */}}
{{- define "kafka-stages.configDir" -}}/etc/kafka-stages{{- end -}}
{{- define "kafka-stages.configFile" -}}{{ include "kafka-stages.configDir" . }}/pipeline.yaml{{- end -}}
{{/* Not under configDir: a mount inside the read-only ConfigMap volume cannot be created. */}}
{{- define "kafka-stages.tlsDir" -}}/etc/kafka-tls{{- end -}}

{{/*
Checks of values that the schema cannot express (they relate two values, or depend on a
switch). Each failure names the value and says what is allowed. Included once, from the
Deployment, so that `helm template` and `helm install` stop before rendering anything.
*/}}
{{- define "kafka-stages.validateValues" -}}
{{- $errors := list -}}
{{- if and .Values.autoscaling.hpa.enabled .Values.autoscaling.keda.enabled -}}
{{- $errors = append $errors "autoscaling.hpa.enabled and autoscaling.keda.enabled are both true: KEDA creates its own HorizontalPodAutoscaler, so enable at most one of them" -}}
{{- end -}}
{{- $drainSeconds := divf .Values.app.drainTimeoutMs 1000 -}}
{{- if le (float64 .Values.terminationGracePeriodSeconds) $drainSeconds -}}
{{- $errors = append $errors (printf "terminationGracePeriodSeconds (%v) must be greater than app.drainTimeoutMs / 1000 (%v s), or Kubernetes kills the pod before it has drained and committed; raise terminationGracePeriodSeconds or lower app.drainTimeoutMs" .Values.terminationGracePeriodSeconds $drainSeconds) -}}
{{- end -}}
{{- $brokers := list -}}
{{- range .Values.kafka.brokers -}}
{{- if and . (ne (trim (toString .)) "") -}}
{{- $brokers = append $brokers . -}}
{{- end -}}
{{- end -}}
{{- if eq (len $brokers) 0 -}}
{{- $errors = append $errors "kafka.brokers is empty: give at least one broker address as host:port, e.g. --set kafka.brokers[0]=kafka:9092" -}}
{{- end -}}
{{- if and .Values.kafka.sasl.enabled (not .Values.kafka.sasl.existingSecret) -}}
{{- $errors = append $errors "kafka.sasl.existingSecret is empty while kafka.sasl.enabled is true: name an existing Secret holding the SASL username and password" -}}
{{- end -}}
{{- if and (or .Values.kafka.tls.certKey .Values.kafka.tls.keyKey) (not (and .Values.kafka.tls.certKey .Values.kafka.tls.keyKey)) -}}
{{- $errors = append $errors "kafka.tls.certKey and kafka.tls.keyKey must be set together (mutual TLS needs both the client certificate and its key)" -}}
{{- end -}}
{{- if and .Values.kafka.tls.enabled (not .Values.kafka.tls.existingSecret) (or .Values.kafka.tls.certKey .Values.kafka.tls.keyKey) -}}
{{- $errors = append $errors "kafka.tls.existingSecret is empty while kafka.tls.certKey/keyKey ask for a client certificate: name the Secret that holds them" -}}
{{- end -}}
{{- if and .Values.autoscaling.keda.enabled (not (include "kafka-stages.kedaConsumerGroup" .)) -}}
{{- $errors = append $errors "autoscaling.keda.consumerGroup is empty and config.input.group_id is not set, while autoscaling.keda.enabled is true: KEDA needs the consumer group whose lag it reads" -}}
{{- end -}}
{{- if and .Values.autoscaling.hpa.enabled (lt (int .Values.autoscaling.hpa.maxReplicas) (int .Values.autoscaling.hpa.minReplicas)) -}}
{{- $errors = append $errors (printf "autoscaling.hpa.maxReplicas (%v) is below autoscaling.hpa.minReplicas (%v)" .Values.autoscaling.hpa.maxReplicas .Values.autoscaling.hpa.minReplicas) -}}
{{- end -}}
{{- if and .Values.autoscaling.keda.enabled (lt (int .Values.autoscaling.keda.maxReplicas) (int .Values.autoscaling.keda.minReplicas)) -}}
{{- $errors = append $errors (printf "autoscaling.keda.maxReplicas (%v) is below autoscaling.keda.minReplicas (%v)" .Values.autoscaling.keda.maxReplicas .Values.autoscaling.keda.minReplicas) -}}
{{- end -}}
{{- if $errors -}}
{{- fail (printf "\n\nkafka-stages: invalid values:\n- %s\n" (join "\n- " $errors)) -}}
{{- end -}}
{{- end -}}

{{/* The Kafka and tracing environment: the names the application reads. */}}
{{- define "kafka-stages.env" -}}
- name: KAFKA_BROKERS
  value: {{ join "," .Values.kafka.brokers | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ default (include "kafka-stages.fullname" .) .Values.kafka.clientId | quote }}
{{- if .Values.kafka.sasl.enabled }}
- name: KAFKA_SASL_MECHANISM
  value: {{ .Values.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.usernameKey }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .Values.kafka.sasl.existingSecret }}
      key: {{ .Values.kafka.sasl.passwordKey }}
{{- end }}
{{- if .Values.kafka.tls.enabled }}
- name: KAFKA_TLS
  value: "true"
{{- if .Values.kafka.tls.existingSecret }}
{{- if .Values.kafka.tls.caKey }}
- name: KAFKA_TLS_CA_FILE
  value: {{ printf "%s/%s" (include "kafka-stages.tlsDir" .) .Values.kafka.tls.caKey | quote }}
{{- end }}
{{- if .Values.kafka.tls.certKey }}
- name: KAFKA_TLS_CERT_FILE
  value: {{ printf "%s/%s" (include "kafka-stages.tlsDir" .) .Values.kafka.tls.certKey | quote }}
- name: KAFKA_TLS_KEY_FILE
  value: {{ printf "%s/%s" (include "kafka-stages.tlsDir" .) .Values.kafka.tls.keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.tracing.enabled }}
- name: OTEL_SERVICE_NAME
  value: {{ default (include "kafka-stages.fullname" .) .Values.tracing.serviceName | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ .Values.tracing.endpoint | quote }}
- name: OTEL_TRACES_SAMPLER
  value: parentbased_traceidratio
- name: OTEL_TRACES_SAMPLER_ARG
  value: {{ .Values.tracing.sampleRatio | toString | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.namespace.name=$(K8S_NAMESPACE),k8s.pod.name=$(K8S_POD_NAME),service.version={{ .Chart.AppVersion }}"
{{- else }}
- name: OTEL_SDK_DISABLED
  value: "true"
{{- end }}
{{- end -}}
