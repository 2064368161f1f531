import ElasticsearchPlugins
import GoogleCloudPlugins
import GrokPlugins
import HTTPPlugins
import KafkaPlugins
import MongoDBPlugins
import SluiceCLI
import SpooldirPlugins
import StandardPlugins
import TwitterPlugins
import WebHDFSPlugins

/// Every plugin family of the `sluice` binary, in one list: adding a family means adding it
/// here (and its target and product in Package.swift), nowhere else.
enum BuiltinFamilies {
    static let all: [PluginFamily] = [
        StandardPlugins.register,
        GrokPlugins.register,
        HTTPPlugins.register,
        KafkaPlugins.register,
        MongoDBPlugins.register,
        WebHDFSPlugins.register,
        SpooldirPlugins.register,
        ElasticsearchPlugins.register,
        TwitterPlugins.register,
        GoogleCloudPlugins.register,
    ]
}
