"""What TensorBoard's HParams dashboard shows for a log folder.

Read with TensorBoard's own event multiplexer, data provider and HParams
plugin handlers (the `/experiment` and `/session_groups` routes that
`tensorboard --logdir` serves), as its table would list the trials.
"""

from google.protobuf import json_format
from tensorboard import context
from tensorboard.backend.event_processing import data_provider
from tensorboard.backend.event_processing import plugin_event_multiplexer
from tensorboard.plugins import base_plugin
from tensorboard.plugins.hparams import api_pb2
from tensorboard.plugins.hparams import backend_context
from tensorboard.plugins.hparams import get_experiment
from tensorboard.plugins.hparams import list_session_groups


def read_dashboard(logdir):
    """Returns `(experiment, groups)` of the dashboard of `logdir`.

    `experiment` is `{"hparams": [names], "metrics": [(group, tag)]}`;
    `groups` is `{group name: {"hparams": {name: value}, "metrics":
    {(group, tag): last value}, "sessions": [run names]}}`.
    """
    multiplexer = plugin_event_multiplexer.EventMultiplexer()
    multiplexer.AddRunsFromDirectory(str(logdir))
    multiplexer.Reload()
    provider = data_provider.MultiplexerDataProvider(multiplexer, str(logdir))
    backend = backend_context.Context(
        base_plugin.TBContext(
            data_provider=provider, logdir=str(logdir), multiplexer=multiplexer
        )
    )
    request_context = context.RequestContext()
    experiment = get_experiment.Handler(
        request_context, backend, "", api_pb2.GetExperimentRequest()
    ).run()
    # The dashboard's default: sessions of every status.
    request = api_pb2.ListSessionGroupsRequest(
        start_index=0,
        slice_size=1000,
        allowed_statuses=[
            api_pb2.STATUS_UNKNOWN,
            api_pb2.STATUS_SUCCESS,
            api_pb2.STATUS_FAILURE,
            api_pb2.STATUS_RUNNING,
        ],
    )
    for info in experiment.metric_infos:
        request.col_params.add(metric=info.name)
    for info in experiment.hparam_infos:
        request.col_params.add(hparam=info.name)
    response = list_session_groups.Handler(
        request_context, backend, "", request
    ).run()
    groups = {
        group.name: {
            "hparams": {
                name: json_format.MessageToDict(value)
                for name, value in group.hparams.items()
            },
            "metrics": {
                (m.name.group, m.name.tag): m.value for m in group.metric_values
            },
            "sessions": [session.name for session in group.sessions],
        }
        for group in response.session_groups
    }
    names = {
        "hparams": [info.name for info in experiment.hparam_infos],
        "metrics": [
            (i.name.group, i.name.tag) for i in experiment.metric_infos
        ],
    }
    return names, groups
