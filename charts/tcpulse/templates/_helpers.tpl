{{/* The name of every object: <release>-agent, unless the release is called tcpulse-agent. */}}
{{- define "tcpulse.fullname" -}}
{{- printf "%s-agent" .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "tcpulse.selectorLabels" -}}
app.kubernetes.io/name: tcpulse
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tcpulse.labels" -}}
{{ include "tcpulse.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tcpulse.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "tcpulse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{ .Values.serviceAccount.name | default (include "tcpulse.fullname" .) }}
{{- else -}}
{{ .Values.serviceAccount.name | default "default" }}
{{- end -}}
{{- end -}}

{{/* The tcpulse entry's keys: the agent's dirs always match the agent's. */}}
{{- define "tcpulse.pluginConfig" -}}
{{- $dirs := dict "pinDir" .Values.agent.pinDir "stateDir" .Values.agent.stateDir -}}
{{- merge $dirs (deepCopy .Values.cni.pluginConfig) | toJson -}}
{{- end -}}

{{/* The installer's flags, shared by the init container and the chain-keeping sidecar. */}}
{{- define "tcpulse.installerArgs" -}}
- --conf-dir
- /host/etc/cni/net.d
- --bin-dir
- /host/opt/cni/bin
- --config
- {{ include "tcpulse.pluginConfig" . | quote }}
{{- with .Values.cni.network }}
- --network
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The installer writes root-owned host dirs it owns as root: no capability at all. */}}
{{- define "tcpulse.installerSecurityContext" -}}
runAsUser: 0
runAsNonRoot: false
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The `up` series of the agents, for the agent-down alert. */}}
{{- define "tcpulse.agentUpSelector" -}}
{{- .Values.prometheusRule.agentUpSelector | default (printf "job=~\"(.*/)?%s\"" (include "tcpulse.fullname" .)) -}}
{{- end -}}
