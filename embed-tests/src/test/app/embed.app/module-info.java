/** An application that uses ProcessBarrier exactly as the README says: it requires the api and nothing else. */
module embed.app {
    requires io.processbarrier;
}
